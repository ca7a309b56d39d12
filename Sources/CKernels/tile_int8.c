// The AVX-512 VNNI micro-kernel (see CKernels.h): the 12 x 32 tile of tile_avx512.c with A as
// unsigned 8-bit values (zero point 128, a scale per row) and B as signed 8-bit values (a scale per
// column), four depth rows per `vpdpbusd`, summed exactly in int32 and scaled to fp32 at the end.
// One instruction does 64 multiply-adds where an fp32 FMA does 16. The portable kernels at the end
// do the same arithmetic in plain C.
#include "CKernels.h"

#include <math.h>
#include <string.h>

void ecg_quantize_s8(int64_t depth, int64_t width, const float *panel, int8_t *out, float *scales, int32_t *sums) {
    const int64_t quads = (depth + 3) / 4;
    for (int64_t j = 0; j < width; j++) {
        float largest = 0;
        for (int64_t p = 0; p < depth; p++) largest = fmaxf(largest, fabsf(panel[p * width + j]));
        const float scale = largest / 127, inverse = largest > 0 ? 127 / largest : 0;
        int32_t sum = 0;
        for (int64_t p = 0; p < quads * 4; p++) {
            const int8_t q = p < depth ? (int8_t)lrintf(panel[p * width + j] * inverse) : 0;
            out[((p / 4) * width + j) * 4 + p % 4] = q;
            sum += q;
        }
        scales[j] = scale;
        sums[j] = sum;
    }
}

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define ECG_VNNI __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx512vnni,avx2,fma")))

ECG_VNNI void ecg_quantize_u8(int64_t depth, const float *panel, uint8_t *out, float *scales) {
    // Each row's largest magnitude, 12 rows in one vector (lanes 12..15 unused).
    const __mmask16 rows = 0x0fff;
    __m512 largest = _mm512_setzero_ps();
    for (int64_t p = 0; p < depth; p++) largest = _mm512_max_ps(largest, _mm512_abs_ps(_mm512_maskz_loadu_ps(rows, panel + p * 12)));
    const __m512 scale = _mm512_div_ps(largest, _mm512_set1_ps(127));
    const __mmask16 nonzero = _mm512_cmp_ps_mask(largest, _mm512_setzero_ps(), _CMP_GT_OQ);
    const __m512 inverse = _mm512_maskz_div_ps(nonzero, _mm512_set1_ps(127), largest);
    _mm512_mask_storeu_ps(scales, rows, scale);
    // Lane 4r + h of a quad's 48 bytes is row r, depth 4q + h: gathered from four rows of 12.
    const __m512i zeroPoint = _mm512_set1_epi32(128);
    for (int64_t p = 0; p < depth; p += 4) {
        __m512i q[4];
        for (int h = 0; h < 4; h++) {
            const __m512 x = p + h < depth ? _mm512_maskz_loadu_ps(rows, panel + (p + h) * 12) : _mm512_setzero_ps();
            q[h] = _mm512_add_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x, inverse)), zeroPoint);  // 1..255
        }
        // Bytes: interleave the four depth rows per row r (values fit a byte, so pack by shifts).
        const __m512i packed = _mm512_or_si512(_mm512_or_si512(q[0], _mm512_slli_epi32(q[1], 8)),
                                               _mm512_or_si512(_mm512_slli_epi32(q[2], 16), _mm512_slli_epi32(q[3], 24)));
        _mm512_mask_storeu_epi32(out, rows, packed);
        out += 48;
    }
}

/// Scales the int32 sums of one 16-column vector to fp32: `(acc − 128 · sums) · rowScale · columnScales`.
#define ECG_INT8_EPILOGUE(acc, sums, rowScale, columnScales) \
    _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32((acc), _mm512_slli_epi32((sums), 7))), \
                  _mm512_mul_ps(_mm512_set1_ps(rowScale), (columnScales)))

ECG_VNNI void ecg_tile12x32_int8(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                                 const float *rowScales, const float *columnScales, const int32_t *columnSums) {
    __m512i acc[12][2];
    for (int r = 0; r < 12; r++) { acc[r][0] = _mm512_setzero_si512(); acc[r][1] = _mm512_setzero_si512(); }
    for (int64_t p = 0; p < quads; p++) {
        const __m512i b0 = _mm512_loadu_si512(b), b1 = _mm512_loadu_si512(b + 64);
#pragma clang loop unroll(full)
        for (int r = 0; r < 12; r++) {
            int32_t quad;
            memcpy(&quad, a + 4 * r, sizeof quad);
            const __m512i s = _mm512_set1_epi32(quad);
            acc[r][0] = _mm512_dpbusd_epi32(acc[r][0], s, b0);
            acc[r][1] = _mm512_dpbusd_epi32(acc[r][1], s, b1);
        }
        a += 48;
        b += 128;
    }
    const __m512i s0 = _mm512_loadu_si512(columnSums), s1 = _mm512_loadu_si512(columnSums + 16);
    const __m512 k0 = _mm512_loadu_ps(columnScales), k1 = _mm512_loadu_ps(columnScales + 16);
#pragma clang loop unroll(full)
    for (int r = 0; r < 12; r++) {
        _mm512_storeu_ps(c + r * ldc, ECG_INT8_EPILOGUE(acc[r][0], s0, rowScales[r], k0));
        _mm512_storeu_ps(c + r * ldc + 16, ECG_INT8_EPILOGUE(acc[r][1], s1, rowScales[r], k1));
    }
}

ECG_VNNI void ecg_tile12x16_int8(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                                 const float *rowScales, const float *columnScales, const int32_t *columnSums) {
    __m512i acc[12];
    for (int r = 0; r < 12; r++) acc[r] = _mm512_setzero_si512();
    for (int64_t p = 0; p < quads; p++) {
        const __m512i b0 = _mm512_loadu_si512(b);
#pragma clang loop unroll(full)
        for (int r = 0; r < 12; r++) {
            int32_t quad;
            memcpy(&quad, a + 4 * r, sizeof quad);
            acc[r] = _mm512_dpbusd_epi32(acc[r], _mm512_set1_epi32(quad), b0);
        }
        a += 48;
        b += 64;
    }
    const __m512i s0 = _mm512_loadu_si512(columnSums);
    const __m512 k0 = _mm512_loadu_ps(columnScales);
#pragma clang loop unroll(full)
    for (int r = 0; r < 12; r++) _mm512_storeu_ps(c + r * ldc, ECG_INT8_EPILOGUE(acc[r], s0, rowScales[r], k0));
}
#undef ECG_INT8_EPILOGUE

#endif

// The portable int8 kernels: plain loops with the VNNI kernels' arithmetic, the same bytes, the
// same exact int32 sums and the same fp32 epilogue (`(sum − 128 · sums) · (rowScale · columnScale)`),
// so they give the VNNI tiles' floats on any CPU. `KernelSet.portable` runs int8 on them: slow, but
// it lets int8's accuracy be measured, and its tests run, where the CPU lacks VNNI.
void ecg_quantize_u8_portable(int64_t depth, const float *panel, uint8_t *out, float *scales) {
    for (int r = 0; r < 12; r++) {
        float largest = 0;
        for (int64_t p = 0; p < depth; p++) largest = fmaxf(largest, fabsf(panel[p * 12 + r]));
        const float inverse = largest > 0 ? 127 / largest : 0;
        scales[r] = largest / 127;
        for (int64_t p = 0; p < (depth + 3) / 4 * 4; p++) {
            out[((p / 4) * 12 + r) * 4 + p % 4] = (uint8_t)(128 + (p < depth ? lrintf(panel[p * 12 + r] * inverse) : 0));
        }
    }
}

static void tile_int8_portable(int64_t quads, int64_t width, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                               const float *rowScales, const float *columnScales, const int32_t *columnSums) {
    int32_t acc[12][32];
    memset(acc, 0, sizeof acc);
    for (int64_t q = 0; q < quads; q++) {
        const uint8_t *aq = a + q * 48;
        const int8_t *bq = b + q * width * 4;
        for (int r = 0; r < 12; r++) {
            const int32_t a0 = aq[4 * r], a1 = aq[4 * r + 1], a2 = aq[4 * r + 2], a3 = aq[4 * r + 3];
            for (int64_t j = 0; j < width; j++) {
                acc[r][j] += a0 * bq[4 * j] + a1 * bq[4 * j + 1] + a2 * bq[4 * j + 2] + a3 * bq[4 * j + 3];
            }
        }
    }
    for (int r = 0; r < 12; r++) {
        for (int64_t j = 0; j < width; j++) {
            c[r * ldc + j] = (float)(acc[r][j] - 128 * columnSums[j]) * (rowScales[r] * columnScales[j]);
        }
    }
}

void ecg_tile12x32_int8_portable(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                                 const float *rowScales, const float *columnScales, const int32_t *columnSums) {
    tile_int8_portable(quads, 32, a, b, c, ldc, rowScales, columnScales, columnSums);
}

void ecg_tile12x16_int8_portable(int64_t quads, const uint8_t *a, const int8_t *b, float *c, int64_t ldc,
                                 const float *rowScales, const float *columnScales, const int32_t *columnSums) {
    tile_int8_portable(quads, 16, a, b, c, ldc, rowScales, columnScales, columnSums);
}
