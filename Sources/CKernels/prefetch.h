// Internal to CKernels: the fp32 tiles' prefetch of the next tiles' weights (CKernels.h, `next` and
// `nextLines`). A tile issues its `nextLines` 64-byte lines from `next` into L2 one at a time, spread
// evenly over its depth loop (at most one a step), so that the loads overlap its multiply-adds: a
// weight panel read cold from memory by a layer with few pixels (InceptionV3's 8 x 8 layers read
// 2-6 MB for 64 pixels) otherwise stalls the panel's first tile. A burst of prefetches before the
// tile was slower than none, in a C loop on the 2-core AVX-512 VM (docs/performance.md).
#ifndef ECG_PREFETCH_H
#define ECG_PREFETCH_H

#include <stdint.h>

/// The prefetch state for a loop of `steps` steps: declares `prefetchAt`, `prefetchEvery`,
/// `prefetchLeft`, with `next` and `nextLines` in scope.
#define ECG_PREFETCH_BEGIN(steps)                                                                  \
    const char *prefetchAt = (const char *)(next);                                                 \
    int64_t prefetchLeft = (next) ? (nextLines) : 0;                                               \
    const int64_t prefetchEvery = prefetchLeft > 0 && (steps) / prefetchLeft > 1 ? (steps) / prefetchLeft : 1; \
    int64_t prefetchCountdown = prefetchEvery

/// One step of the loop: every `prefetchEvery` steps, the next line into L2 (`prefetcht1` on x86).
#define ECG_PREFETCH_STEP()                                                                        \
    do {                                                                                           \
        if (prefetchLeft > 0 && --prefetchCountdown == 0) {                                        \
            __builtin_prefetch(prefetchAt, 0, 2);                                                  \
            prefetchAt += 64;                                                                      \
            prefetchLeft--;                                                                        \
            prefetchCountdown = prefetchEvery;                                                     \
        }                                                                                          \
    } while (0)

#endif
