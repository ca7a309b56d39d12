// Whether int8 on AVX2 (no VNNI) could beat the fp32 tiles: the multiply-add rate of a 6 x 16
// register tile, one core, in fp32 (`vfmadd231ps`, one depth step a row) against int8 the only
// way AVX2 has (`vpmaddubsw` u8 x s8 into int16 pairs, `vpmaddwd` by ones into int32 quads,
// `vpaddd`: four depth steps a row). Both loops keep 12 accumulators and have no memory traffic,
// so the figures are the cores' instruction rates, the most a real tile could reach.
//
// On AMD Zen 2 both integer multiplies issue on one pipe, so int8 does 4 x 8 multiply-adds per
// two cycles, the rate of two fp32 FMA pipes: about 1.0x before quantizing anything, and its
// int16 pair sums saturate unless the operands keep 7 bits. On Intel cores that issue
// `vpmaddubsw` and `vpmaddwd` on two ports the ratio is about 2x.
//
// Build and run from the repository root:
//   clang -O2 tools/bench/int8_avx2_rate.c -o int8_avx2_rate && ./int8_avx2_rate
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/// 6 rows x 16 columns x 1 depth step an iteration: 96 multiply-adds.
__attribute__((target("avx2,fma"), noinline)) static float fp32Tile(long steps, const float *values) {
    __m256 acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm256_setzero_ps();
    const __m256 b0 = _mm256_loadu_ps(values), b1 = _mm256_loadu_ps(values + 8);
    for (long i = 0; i < steps; i++) {
#pragma clang loop unroll(full)
        for (int r = 0; r < 6; r++) {
            const __m256 a = _mm256_broadcast_ss(values + 16 + r + (i & 7));
            acc[2 * r] = _mm256_fmadd_ps(a, b0, acc[2 * r]);
            acc[2 * r + 1] = _mm256_fmadd_ps(a, b1, acc[2 * r + 1]);
        }
    }
    __m256 sum = acc[0];
    for (int i = 1; i < 12; i++) sum = _mm256_add_ps(sum, acc[i]);
    float out[8];
    _mm256_storeu_ps(out, sum);
    return out[0];
}

/// 6 rows x 16 columns x 4 depth steps an iteration: 384 multiply-adds.
__attribute__((target("avx2,fma"), noinline)) static int int8Tile(long steps, const unsigned char *a, const signed char *b) {
    __m256i acc[12];
    for (int i = 0; i < 12; i++) acc[i] = _mm256_setzero_si256();
    const __m256i ones = _mm256_set1_epi16(1);
    const __m256i b0 = _mm256_loadu_si256((const __m256i *)b), b1 = _mm256_loadu_si256((const __m256i *)(b + 32));
    for (long i = 0; i < steps; i++) {
#pragma clang loop unroll(full)
        for (int r = 0; r < 6; r++) {
            const __m256i quad = _mm256_set1_epi32(*(const int *)(a + 4 * r + (i & 7)));
            acc[2 * r] = _mm256_add_epi32(acc[2 * r], _mm256_madd_epi16(_mm256_maddubs_epi16(quad, b0), ones));
            acc[2 * r + 1] = _mm256_add_epi32(acc[2 * r + 1], _mm256_madd_epi16(_mm256_maddubs_epi16(quad, b1), ones));
        }
    }
    __m256i sum = acc[0];
    for (int i = 1; i < 12; i++) sum = _mm256_add_epi32(sum, acc[i]);
    int out[8];
    _mm256_storeu_si256((__m256i *)out, sum);
    return out[0];
}

int main(void) {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
        fprintf(stderr, "int8_avx2_rate: this CPU has no AVX2 + FMA\n");
        return 1;
    }
    float values[64];
    unsigned char a[64];
    signed char b[64];
    for (int i = 0; i < 64; i++) { values[i] = i * 0.001f; a[i] = (unsigned char)i; b[i] = (signed char)(i - 32); }
    const long steps = 200000000;
    for (int round = 0; round < 3; round++) {
        double start = now();
        const float x = fp32Tile(steps, values);
        const double fp32 = 96.0 * steps / (now() - start) / 1e9;
        start = now();
        const int y = int8Tile(steps, a, b);
        const double int8 = 384.0 * steps / (now() - start) / 1e9;
        printf("fp32 %.1f G multiply-adds/s, int8 %.1f, int8/fp32 %.2f (checksums %g %d)\n", fp32, int8, int8 / fp32, x, y);
    }
    return 0;
}
