// The AVX-512 micro-kernel (see CKernels.h): the 12 x 32 tile in 24 zmm accumulators, two zmm
// for a row of B and a broadcast of A, 27 of the 32 zmm registers.
#include "CKernels.h"
#include "direct_dispatch.h"
#include "epilogue.h"
#include "prefetch.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define ECG_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx2,fma")))

typedef int32_t ecg_i32x16 __attribute__((vector_size(64)));
ECG_DEFINE_EPILOGUE(epilogue, ECG_AVX512, __m512, ecg_i32x16)

/// The 16 bias values from `bias`, or the no-bias identity (epilogue.h) when it is NULL.
ECG_AVX512 static inline __m512 loadBias(const float *bias) {
    return bias ? _mm512_loadu_ps(bias) : _mm512_set1_ps(ECG_NO_BIAS);
}

/// C[rows x 16 · halves] (+)= A · B, then the epilogue: the first `rows` rows (12, or 4 or 8 for
/// the short tiles) of a 12-row A panel, against a B panel of one or two zmm per row. Each row sums
/// over the depth in the same order whatever `rows` is, so a short tile gives the floats of the
/// 12-row one; it computes a panel's last rows (49 pixels, 7 x 7 at batch 1, are four whole tiles
/// and one row). `rows` and `halves` are constants at every call, so the loops unroll into
/// registers: 24 zmm accumulators for 12 x 32.
ECG_AVX512 static inline __attribute__((always_inline)) void
tile(const int rows, const int halves, int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
     int32_t accumulate, const float *bias, int32_t activation, const float *next, int64_t nextLines) {
    __m512 acc[12][2];
    ECG_PREFETCH_BEGIN(depth);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (int64_t p = 0; p < depth; p++) {
        ECG_PREFETCH_STEP();
        const __m512 b0 = _mm512_loadu_ps(b), b1 = halves == 2 ? _mm512_loadu_ps(b + 16) : b0;
#pragma clang loop unroll(full)
        for (int r = 0; r < rows; r++) {
            const __m512 s = _mm512_set1_ps(a[r]);
            acc[r][0] = _mm512_fmadd_ps(s, b0, acc[r][0]);
            if (halves == 2) acc[r][1] = _mm512_fmadd_ps(s, b1, acc[r][1]);
        }
        a += 12;
        b += 16 * halves;
    }
    const __m512 bias0 = loadBias(bias), bias1 = loadBias(halves == 2 && bias ? bias + 16 : NULL);
#pragma clang loop unroll(full)
    for (int r = 0; r < rows; r++) {
        float *q = c + r * ldc;
        if (accumulate) acc[r][0] = _mm512_add_ps(_mm512_loadu_ps(q), acc[r][0]);
        _mm512_storeu_ps(q, epilogue(acc[r][0], bias0, activation));
        if (halves == 2) {
            if (accumulate) acc[r][1] = _mm512_add_ps(_mm512_loadu_ps(q + 16), acc[r][1]);
            _mm512_storeu_ps(q + 16, epilogue(acc[r][1], bias1, activation));
        }
    }
}

ECG_AVX512 void ecg_tile12x32_avx512(int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
                                     int32_t accumulate, const float *bias, int32_t activation,
                                     const float *next, int64_t nextLines) {
    tile(12, 2, depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines);
}

ECG_AVX512 void ecg_tile12x16_avx512(int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
                                     int32_t accumulate, const float *bias, int32_t activation,
                                     const float *next, int64_t nextLines) {
    tile(12, 1, depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines);
}

ECG_AVX512 void ecg_tile4x32_avx512(int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
                                    int32_t accumulate, const float *bias, int32_t activation,
                                    const float *next, int64_t nextLines) {
    tile(4, 2, depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines);
}

ECG_AVX512 void ecg_tile4x16_avx512(int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
                                    int32_t accumulate, const float *bias, int32_t activation,
                                    const float *next, int64_t nextLines) {
    tile(4, 1, depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines);
}

ECG_AVX512 void ecg_tile8x32_avx512(int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
                                    int32_t accumulate, const float *bias, int32_t activation,
                                    const float *next, int64_t nextLines) {
    tile(8, 2, depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines);
}

ECG_AVX512 void ecg_tile8x16_avx512(int64_t depth, const float *a, const float *b, float *c, int64_t ldc,
                                    int32_t accumulate, const float *bias, int32_t activation,
                                    const float *next, int64_t nextLines) {
    tile(8, 1, depth, a, b, c, ldc, accumulate, bias, activation, next, nextLines);
}

// Direct convolution tiles (see CKernels.h): A read straight from the NHWC input instead of a
// packed panel. `PS` (the pixel stride) is a compile-time constant in the common cases, so the 12
// broadcasts are immediate offsets from one pointer.
#define ECG_DIRECT_AVX512(PS, WIDE)                                                                        \
    do {                                                                                               \
        __m512 acc[12][WIDE ? 2 : 1];                                                                  \
        for (int r = 0; r < 12; r++) for (int h = 0; h < (WIDE ? 2 : 1); h++) acc[r][h] = _mm512_setzero_ps(); \
        ECG_PREFETCH_BEGIN(taps * span);                                                               \
        for (int64_t t = 0; t < taps; t++) {                                                           \
            const float *row = a + t * rowStride;                                                      \
            for (int64_t q = 0; q < span; q++) {                                                       \
                ECG_PREFETCH_STEP();                                                                   \
                const __m512 b0 = _mm512_loadu_ps(b);                                                  \
                const __m512 b1 = WIDE ? _mm512_loadu_ps(b + 16) : b0;                                 \
                _Pragma("clang loop unroll(full)")                                                     \
                for (int r = 0; r < 12; r++) {                                                         \
                    const __m512 s = _mm512_set1_ps(row[r * (PS) + q]);                                \
                    acc[r][0] = _mm512_fmadd_ps(s, b0, acc[r][0]);                                     \
                    if (WIDE) acc[r][WIDE ? 1 : 0] = _mm512_fmadd_ps(s, b1, acc[r][WIDE ? 1 : 0]);     \
                }                                                                                      \
                b += WIDE ? 32 : 16;                                                                   \
            }                                                                                          \
        }                                                                                              \
        const __m512 bias0 = loadBias(bias), bias1 = loadBias(WIDE && bias ? bias + 16 : NULL);        \
        _Pragma("clang loop unroll(full)")                                                             \
        for (int r = 0; r < 12; r++) {                                                                 \
            _mm512_storeu_ps(c + r * ldc, epilogue(acc[r][0], bias0, activation));                     \
            if (WIDE) _mm512_storeu_ps(c + r * ldc + 16, epilogue(acc[r][WIDE ? 1 : 0], bias1, activation)); \
        }                                                                                              \
    } while (0)

#define ECG_DIRECT_AVX512_WIDE(PS) ECG_DIRECT_AVX512(PS, 1)
#define ECG_DIRECT_AVX512_NARROW(PS) ECG_DIRECT_AVX512(PS, 0)

ECG_AVX512 void ecg_direct12x32_avx512(int64_t taps, int64_t span, const float *a, int64_t rowStride,
                                       int64_t pixelStride, const float *b, float *c, int64_t ldc,
                                       const float *bias, int32_t activation, const float *next, int64_t nextLines) {
    ECG_DIRECT_DISPATCH(ECG_DIRECT_AVX512_WIDE, pixelStride)
}

ECG_AVX512 void ecg_direct12x16_avx512(int64_t taps, int64_t span, const float *a, int64_t rowStride,
                                       int64_t pixelStride, const float *b, float *c, int64_t ldc,
                                       const float *bias, int32_t activation, const float *next, int64_t nextLines) {
    ECG_DIRECT_DISPATCH(ECG_DIRECT_AVX512_NARROW, pixelStride)
}
#undef ECG_DIRECT_AVX512_WIDE
#undef ECG_DIRECT_AVX512_NARROW
#undef ECG_DIRECT_AVX512

#endif  // x86-64; elsewhere tile_portable.c defines these names
