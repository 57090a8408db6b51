#ifndef KAGIBAG_BUILD_H
#define KAGIBAG_BUILD_H

/// The commit the binary was built from, as `scripts/release` stamps it (commit.h beside
/// build.c); empty for a development build.
const char *kagibag_build_commit(void);

#endif
