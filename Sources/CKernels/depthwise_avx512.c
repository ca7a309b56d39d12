// The AVX-512 depthwise kernel (see CKernels.h): four output pixels of a depthwise convolution, the
// arithmetic of `depthwiseQuad` (Sources/Kernels/DepthwiseConv2D.swift) in zmm registers. That
// Swift loop is compiled for AVX2, where its 16-channel vectors are pairs of ymm registers.
#include "CKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

// Each tap is a multiply, then an add, as in the Swift loop: never one fused multiply-add.
#pragma clang fp contract(off)

#define ECG_AVX512 __attribute__((target("avx512f,avx512dq")))

/// `depthwiseQuad`'s activation: values `< 0` become +0 (-0 and NaN stay), then for relu6 values
/// `> 6` become 6.
ECG_AVX512 static inline __m512 activated(__m512 sum, int32_t activation) {
    if (activation == ECG_ACTIVATION_IDENTITY) return sum;
    const __m512 zero = _mm512_setzero_ps(), six = _mm512_set1_ps(6.0f);
    const __m512 relu = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(sum, zero, _CMP_LT_OQ), sum, zero);
    if (activation == ECG_ACTIVATION_RELU) return relu;
    return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(sum, six, _CMP_GT_OQ), relu, six);
}

/// One group of `VECTORS` x 16 channels from `c`: 4 · VECTORS sums in registers.
#define ECG_DEPTHWISE4(VECTORS)                                                                      \
    ECG_AVX512 static inline __attribute__((always_inline)) void depthwise4x##VECTORS(              \
        const float *input, int64_t pixelStride, int64_t rowStride, int64_t firstRow, int64_t endRow, \
        int64_t kernelWidth, const float *weight, const float *bias, int64_t channels, float *output, \
        int64_t ldo, int32_t activation, int64_t c) {                                               \
        __m512 sums[4][VECTORS];                                                                    \
        for (int v = 0; v < VECTORS; v++) {                                                         \
            const __m512 start = bias ? _mm512_loadu_ps(bias + c + 16 * v) : _mm512_setzero_ps();  \
            for (int p = 0; p < 4; p++) sums[p][v] = start;                                         \
        }                                                                                           \
        for (int64_t kh = firstRow; kh < endRow; kh++) {                                            \
            const float *row = input + kh * rowStride + c;                                          \
            const float *weights = weight + kh * kernelWidth * channels + c;                        \
            for (int64_t kw = 0; kw < kernelWidth; kw++) {                                          \
                for (int v = 0; v < VECTORS; v++) {                                                 \
                    const __m512 w = _mm512_loadu_ps(weights + kw * channels + 16 * v);            \
                    const float *x = row + kw * channels + 16 * v;                                  \
                    for (int p = 0; p < 4; p++)                                                     \
                        sums[p][v] = _mm512_add_ps(sums[p][v],                                      \
                                                   _mm512_mul_ps(_mm512_loadu_ps(x + p * pixelStride), w)); \
                }                                                                                   \
            }                                                                                       \
        }                                                                                           \
        for (int p = 0; p < 4; p++)                                                                 \
            for (int v = 0; v < VECTORS; v++)                                                       \
                _mm512_storeu_ps(output + p * ldo + c + 16 * v, activated(sums[p][v], activation)); \
    }

ECG_DEPTHWISE4(2)
ECG_DEPTHWISE4(1)

ECG_AVX512 void ecg_depthwise4_avx512(const float *input, int64_t pixelStride, int64_t rowStride, int64_t firstRow,
                                      int64_t endRow, int64_t kernelWidth, const float *weight, const float *bias,
                                      int64_t channels, float *output, int64_t ldo, int32_t activation) {
    int64_t c = 0;
    for (; c + 32 <= channels; c += 32)
        depthwise4x2(input, pixelStride, rowStride, firstRow, endRow, kernelWidth, weight, bias, channels, output,
                     ldo, activation, c);
    for (; c + 16 <= channels; c += 16)
        depthwise4x1(input, pixelStride, rowStride, firstRow, endRow, kernelWidth, weight, bias, channels, output,
                     ldo, activation, c);
}
#endif
