// Packing an A panel: twelve rows of values side by side, as the 12-row tiles read them (see
// CKernels.h). im2col writes every convolution's patches this way, one (kh, kw) tap at a time.
#include "CKernels.h"

void ecg_pack12_portable(const float *const *sources, int64_t count, float *panel) {
    for (int64_t c = 0; c < count; c++)
        for (int r = 0; r < 12; r++) panel[c * 12 + r] = sources[r][c];
}

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>

#define ECG_AVX2 __attribute__((target("avx2")))

/// Eight values of each of the twelve rows, transposed in registers: rows 0-7 as an 8 x 8 block
/// (`unpack`, `shuffle`, then 128-bit lane swaps), rows 8-11 as a 4 x 8 block whose 128-bit halves
/// are the values' last four floats. Value `c + i` of the twelve rows becomes one ymm and one xmm.
ECG_AVX2 void ecg_pack12_avx2(const float *const *sources, int64_t count, float *panel) {
    int64_t c = 0;
    for (; c + 8 <= count; c += 8) {
        __m256 r[12];
        for (int i = 0; i < 12; i++) r[i] = _mm256_loadu_ps(sources[i] + c);
        __m256 t[8], s[8];
        for (int i = 0; i < 4; i++) {
            t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);     // a0 b0 a1 b1 | a4 b4 a5 b5
            t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]); // a2 b2 a3 b3 | a6 b6 a7 b7
        }
        for (int h = 0; h < 2; h++) {                                  // rows 0-3, then 4-7
            s[4 * h + 0] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);     // value 0 | 4
            s[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);     // value 1 | 5
            s[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44); // value 2 | 6
            s[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE); // value 3 | 7
        }
        __m256 u0 = _mm256_unpacklo_ps(r[8], r[9]), u1 = _mm256_unpackhi_ps(r[8], r[9]);
        __m256 u2 = _mm256_unpacklo_ps(r[10], r[11]), u3 = _mm256_unpackhi_ps(r[10], r[11]);
        __m256 tail[4] = {_mm256_shuffle_ps(u0, u2, 0x44), _mm256_shuffle_ps(u0, u2, 0xEE),
                          _mm256_shuffle_ps(u1, u3, 0x44), _mm256_shuffle_ps(u1, u3, 0xEE)};
        float *out = panel + c * 12;
        for (int i = 0; i < 4; i++) {
            _mm256_storeu_ps(out + i * 12, _mm256_permute2f128_ps(s[i], s[4 + i], 0x20));
            _mm_storeu_ps(out + i * 12 + 8, _mm256_castps256_ps128(tail[i]));
            _mm256_storeu_ps(out + (4 + i) * 12, _mm256_permute2f128_ps(s[i], s[4 + i], 0x31));
            _mm_storeu_ps(out + (4 + i) * 12 + 8, _mm256_extractf128_ps(tail[i], 1));
        }
    }
    for (; c < count; c++)
        for (int r = 0; r < 12; r++) panel[c * 12 + r] = sources[r][c];
}
#endif
