#!/usr/bin/env bash
# Prepares pretix (open-source ticketing, from PyPI) as the peer of `scripts/bench --peer pretix`:
#
#   scripts/bench.d/pretix.sh DIR
#
# installs pretix and gunicorn into a venv kept between runs (in $KAGIBAG_BENCH_CACHE, default
# ~/.cache/kagibag-bench: the first install takes minutes), migrates a database once per pretix
# version (kept there too, ~1.5 min) and copies it into DIR, seeds an organizer `acme`, a team
# with an API token and 25 events (each with a venue, and the same ~300-character text as
# scripts/bench's events as its internal comment; pretix's event resource has no description
# and does not list the comment, its list body is ~15.7 KB against our ~17 KB), writes DIR/pretix.cfg,
# and prints three lines for the caller to start and query gunicorn itself:
#   venv=PATH  token=TOKEN  config=PATH
# No Redis and no Celery (pretix then runs tasks inline and uses a dummy cache), SQLite, DEBUG
# off: as /work/shared/peers/pretix.sh sets it up, but in its own folder, so that it never
# touches another pretix on the machine. Environment: PRETIX_VERSION (default 2026.8.0; older
# ones are tried if it fails to install), BENCH_DESCRIPTION, BENCH_VENUE.
set -euo pipefail

DIR="${1:?usage: pretix.sh DIR}"
CACHE="${KAGIBAG_BENCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kagibag-bench}"
VENV="$CACHE/pretix-venv"
VERSIONS=("${PRETIX_VERSION:-2026.8.0}" 2026.7.2 2026.6.3 2025.10.2)
mkdir -p "$CACHE" "$DIR/data"
export PIP_CACHE_DIR="$CACHE/pip" PIP_DISABLE_PIP_VERSION_CHECK=1

# ---- venv with pretix and gunicorn (kept) ------------------------------------------------
if [[ ! -x "$VENV/bin/python" ]]; then
    python3 -m venv "$VENV" >&2
    "$VENV/bin/pip" install -q -U pip wheel setuptools >&2
fi
if ! "$VENV/bin/python" -c 'import pretix, gunicorn' 2>/dev/null; then
    ok=""
    for v in "${VERSIONS[@]}"; do
        echo "installing pretix==$v into $VENV (minutes) ..." >&2
        if "$VENV/bin/pip" install -q "pretix==$v" gunicorn >&2; then ok=$v; break; fi
        echo "pretix==$v failed to install, trying an older one" >&2
    done
    [[ -n "$ok" ]] || { echo "could not install pretix" >&2; exit 1; }
fi
VERSION="$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("pretix"))')"

# ---- config: SQLite in DIR, no redis, no celery, debug off ---------------------------------
[[ -s "$CACHE/pretix-secret" ]] || "$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(48))' >"$CACHE/pretix-secret"
write_config() { # CONFIG DATADIR
    cat >"$1" <<EOF
[pretix]
instance_name=pretix-bench
url=http://127.0.0.1
currency=EUR
datadir=$2
ecb_rates=off

[database]
backend=sqlite3
name=$2/db.sqlite3

[django]
debug=off
secret=$(cat "$CACHE/pretix-secret")

[mail]
from=pretix@localhost
host=127.0.0.1
EOF
}
export DJANGO_SETTINGS_MODULE=pretix.settings

# ---- a migrated database per version (kept), copied into DIR ------------------------------
TEMPLATE="$CACHE/pretix-$VERSION-migrated"
if [[ ! -s "$TEMPLATE/db.sqlite3" ]]; then
    echo "migrating a pretix $VERSION database once (kept in $TEMPLATE; ~1.5 min) ..." >&2
    rm -rf "$TEMPLATE.tmp"
    mkdir -p "$TEMPLATE.tmp"
    write_config "$TEMPLATE.tmp/pretix.cfg" "$TEMPLATE.tmp"
    PRETIX_CONFIG_FILE="$TEMPLATE.tmp/pretix.cfg" "$VENV/bin/python" -m pretix migrate --noinput >"$TEMPLATE.tmp/migrate.log" 2>&1 \
        || { tail -30 "$TEMPLATE.tmp/migrate.log" >&2; exit 1; }
    rm -rf "$TEMPLATE"
    mv "$TEMPLATE.tmp" "$TEMPLATE"
fi
cp "$TEMPLATE/db.sqlite3" "$DIR/data/db.sqlite3"
write_config "$DIR/pretix.cfg" "$DIR/data"
export PRETIX_CONFIG_FILE="$DIR/pretix.cfg"
(cd "$DIR" && "$VENV/bin/python" -m pretix migrate --noinput >"$DIR/migrate.log" 2>&1) \
    || { tail -30 "$DIR/migrate.log" >&2; exit 1; }

# ---- seed: organizer acme, a team with an API token, 25 events ----------------------------
TOKEN="$(cd "$DIR" && "$VENV/bin/python" - <<'PY'
import datetime
import os
import django
django.setup()
from django.utils.timezone import now
from django_scopes import scopes_disabled
from pretix.base.models import Event, Organizer, Team
from pretix.base.models.organizer import TeamAPIToken

# pretix >= 2026.x replaced the boolean team flags with a JSON permission map.
try:
    from pretix.helpers.permission_migration import OLD_TO_NEW_EVENT_MIGRATION as M
    PERMS = {p: True for k in ("can_view_orders", "can_change_event_settings") for p in M[k]}
except ImportError:
    PERMS = None

description = os.environ.get("BENCH_DESCRIPTION", "")
venue = os.environ.get("BENCH_VENUE", "ACME Hall")
with scopes_disabled():
    org, _ = Organizer.objects.get_or_create(slug="acme", defaults={"name": "ACME Events"})
    team, _ = Team.objects.get_or_create(organizer=org, name="API team", defaults={"all_events": True})
    team.all_events = True
    if PERMS is not None:
        team.limit_event_permissions = PERMS
    else:
        team.can_view_orders = True
        team.can_change_event_settings = True
    team.save()
    token = TeamAPIToken.objects.create(team=team, name="bench")
    base = now().replace(hour=9, minute=0, second=0, microsecond=0)
    fields = {f.name for f in Event._meta.get_fields()}
    for i in range(1, 26):
        extra = {"comment": description} if "comment" in fields and description else {}
        event = Event.objects.create(
            organizer=org, slug=f"event{i:02d}", name=f"Community Organizers Day {i}", currency="EUR",
            date_from=base + datetime.timedelta(days=7 * i), date_to=base + datetime.timedelta(days=7 * i, hours=8),
            location=venue, live=True, **extra,
        )
        event.set_defaults()
    print("TOKEN=" + token.token)
PY
)"
TOKEN="$(sed -n 's/^TOKEN=//p' <<<"$TOKEN" | tail -n 1)"
[[ -n "$TOKEN" ]] || { echo "seeding pretix failed" >&2; exit 1; }
echo "venv=$VENV"
echo "token=$TOKEN"
echo "config=$DIR/pretix.cfg"
echo "version=$VERSION"
