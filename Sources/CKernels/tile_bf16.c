// The AVX-512 BF16 micro-kernel (see CKernels.h): the 12 x 32 tile of tile_avx512.c with both
// operands in bfloat16 pairs, multiplied and summed by `vdpbf16ps` into fp32 accumulators. One
// instruction does two multiply-adds per lane (the pair), so a pass over a pair of depth rows costs
// what one depth row costs in fp32, and the packed operands are half the bytes.
#include "CKernels.h"

#include <string.h>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define ECG_BF16 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx512bf16,avx2,fma")))

/// 16 bf16 pairs (32 values) as the operand type of `_mm512_dpbf16_ps`.
#define ECG_AS_BH(v) ((__m512bh)(v))

ECG_BF16 void ecg_tile12x32_bf16(int64_t pairs, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc,
                                 int32_t accumulate) {
    __m512 acc[12][2];
    for (int r = 0; r < 12; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (int64_t p = 0; p < pairs; p++) {
        const __m512bh b0 = ECG_AS_BH(_mm512_loadu_si512(b)), b1 = ECG_AS_BH(_mm512_loadu_si512(b + 32));
#pragma clang loop unroll(full)
        for (int r = 0; r < 12; r++) {
            int32_t pair;
            memcpy(&pair, a + 2 * r, sizeof pair);
            const __m512bh s = ECG_AS_BH(_mm512_set1_epi32(pair));
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], s, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], s, b1);
        }
        a += 24;
        b += 64;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 12; r++) {
        float *q = c + r * ldc;
        if (accumulate) {
            acc[r][0] = _mm512_add_ps(_mm512_loadu_ps(q), acc[r][0]);
            acc[r][1] = _mm512_add_ps(_mm512_loadu_ps(q + 16), acc[r][1]);
        }
        _mm512_storeu_ps(q, acc[r][0]);
        _mm512_storeu_ps(q + 16, acc[r][1]);
    }
}

ECG_BF16 void ecg_tile12x16_bf16(int64_t pairs, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc,
                                 int32_t accumulate) {
    __m512 acc[12];
    for (int r = 0; r < 12; r++) acc[r] = _mm512_setzero_ps();
    for (int64_t p = 0; p < pairs; p++) {
        const __m512bh b0 = ECG_AS_BH(_mm512_loadu_si512(b));
#pragma clang loop unroll(full)
        for (int r = 0; r < 12; r++) {
            int32_t pair;
            memcpy(&pair, a + 2 * r, sizeof pair);
            acc[r] = _mm512_dpbf16_ps(acc[r], ECG_AS_BH(_mm512_set1_epi32(pair)), b0);
        }
        a += 24;
        b += 32;
    }
#pragma clang loop unroll(full)
    for (int r = 0; r < 12; r++) {
        float *q = c + r * ldc;
        if (accumulate) acc[r] = _mm512_add_ps(_mm512_loadu_ps(q), acc[r]);
        _mm512_storeu_ps(q, acc[r]);
    }
}

ECG_BF16 void ecg_pack_bf16(int64_t depth, int64_t width, const float *panel, uint16_t *out) {
    // Lane i of `low` takes column i/2 of the even row (i even) or of the odd row (i odd), for
    // columns 0..<8 of a 16-column chunk; `high` does columns 8..<16.
    const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int64_t p = 0; p < depth; p += 2) {
        const float *even = panel + p * width, *odd = even + width;
        for (int64_t j = 0; j < width; j += 16) {
            const int64_t n = width - j < 16 ? width - j : 16;
            const __mmask16 m = (__mmask16)((1u << n) - 1);
            const __m512 e = _mm512_maskz_loadu_ps(m, even + j);
            const __m512 o = p + 1 < depth ? _mm512_maskz_loadu_ps(m, odd + j) : _mm512_setzero_ps();
            const __m512bh v = _mm512_cvtne2ps_pbh(_mm512_permutex2var_ps(e, high, o), _mm512_permutex2var_ps(e, low, o));
            _mm512_mask_storeu_epi16(out + 2 * j, (__mmask32)((1ull << (2 * n)) - 1), (__m512i)v);
        }
        out += 2 * width;
    }
}

#else
// Not x86-64: the bf16 tiles are never selected (`KernelSet` offers them only with
// ECG_CPU_AVX512_BF16), but their names must exist for the binary to link; these are plain loops.
static uint16_t to_bf16(float x) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    return (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16);
}

static float from_bf16(uint16_t h) {
    const uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static void tile(int64_t pairs, int64_t width, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc,
                 int32_t accumulate) {
    for (int r = 0; r < 12; r++) {
        for (int64_t j = 0; j < width; j++) {
            float sum = accumulate ? c[r * ldc + j] : 0;
            for (int64_t p = 0; p < pairs; p++) {
                for (int h = 0; h < 2; h++) sum += from_bf16(a[(p * 12 + r) * 2 + h]) * from_bf16(b[(p * width + j) * 2 + h]);
            }
            c[r * ldc + j] = sum;
        }
    }
}

void ecg_tile12x32_bf16(int64_t pairs, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc, int32_t accumulate) {
    tile(pairs, 32, a, b, c, ldc, accumulate);
}

void ecg_tile12x16_bf16(int64_t pairs, const uint16_t *a, const uint16_t *b, float *c, int64_t ldc, int32_t accumulate) {
    tile(pairs, 16, a, b, c, ldc, accumulate);
}

void ecg_pack_bf16(int64_t depth, int64_t width, const float *panel, uint16_t *out) {
    for (int64_t p = 0; p < depth; p += 2) {
        for (int64_t j = 0; j < width; j++) {
            out[(p / 2 * width + j) * 2] = to_bf16(panel[p * width + j]);
            out[(p / 2 * width + j) * 2 + 1] = p + 1 < depth ? to_bf16(panel[(p + 1) * width + j]) : 0;
        }
    }
}
#endif
