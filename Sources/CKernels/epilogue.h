// Internal to CKernels: the epilogue the fp32 tiles (CKernels.h) apply as they store, so that each
// output value is written once, biased and activated, instead of being read back by a separate
// pass. One definition, written in the compiler's generic vector extension and instantiated for
// each file's vector width (`ECG_DEFINE_EPILOGUE`), so that the three kernel sets cannot disagree.
//
// It must give exactly the floats of `biasActivationForward` (Sources/Kernels/Activation.swift),
// which the tests check on every kernel set: `x + bias`, then for relu every value `<= 0` becomes
// +0 (so -0 becomes +0, and NaN, which compares false, stays), and for relu6 further every value
// `> 6` becomes 6. (A `max` instruction would differ on NaN, or on -0 with its operands swapped.)
#ifndef ECG_EPILOGUE_H
#define ECG_EPILOGUE_H

#include <stddef.h>

#include "CKernels.h"

/// The bias added where a tile has none: -0 is the additive identity even for -0 itself
/// (-0 + -0 = -0, whereas -0 + +0 = +0), so the epilogue then leaves every value as it is.
#define ECG_NO_BIAS (-0.0f)

/// Defines `static inline FLOATS NAME(FLOATS x, FLOATS bias, int32_t activation)`, the epilogue
/// for one vector type: `FLOATS` a vector of floats, `INTS` the vector of 32-bit integers of the
/// same size, `ATTRIBUTES` the file's target attributes (or nothing).
#define ECG_DEFINE_EPILOGUE(NAME, ATTRIBUTES, FLOATS, INTS)                                        \
    ATTRIBUTES static inline FLOATS NAME(FLOATS x, FLOATS bias, int32_t activation) {              \
        x = x + bias;                                                                              \
        if (activation == ECG_ACTIVATION_IDENTITY) return x;                                       \
        const INTS notPositive = x <= 0.0f; /* all ones where x <= 0: +0 has no bits set */       \
        x = (FLOATS)((INTS)x & ~notPositive);                                                      \
        if (activation == ECG_ACTIVATION_RELU) return x;                                           \
        const INTS above = x > 6.0f;                                                               \
        const FLOATS six = (FLOATS){0} + 6.0f;                                                     \
        return (FLOATS)(((INTS)x & ~above) | ((INTS)six & above));                                 \
    }

#endif
