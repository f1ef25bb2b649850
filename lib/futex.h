/*
 * Futex wait and wake on words in shared memory.
 *
 * Copyright 2026 The shmconc developers.
 * SPDX-License-Identifier: MIT
 */

#ifndef SHMC_FUTEX_H
#define SHMC_FUTEX_H 1

#include <time.h>               /* struct timespec */

#include "internal.h"

int shmc__futex_wait(shmc__word *word, uint32_t expected,
    const struct timespec *deadline);
void shmc__futex_wake(shmc__word *word, int count);

#endif /* SHMC_FUTEX_H */
