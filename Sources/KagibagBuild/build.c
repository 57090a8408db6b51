// The one thing Swift cannot take from the command line: a string known only at build time.
// `scripts/release` writes commit.h beside this file (ignored by git, removed after the build),
// so only this file is compiled again and `kagibag --version` names the commit.
#include "KagibagBuild.h"

#if __has_include("commit.h")
#include "commit.h"
#endif
#ifndef KAGIBAG_COMMIT
#define KAGIBAG_COMMIT ""
#endif

const char *kagibag_build_commit(void) { return KAGIBAG_COMMIT; }
