// CPU feature detection for the kernel dispatch, and the spin-wait hint of the thread pool (see CKernels.h).
#include "CKernels.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <cpuid.h>

/// The OS-enabled register state (XCR0), read with xgetbv; only valid when cpuid says OSXSAVE.
static uint64_t read_xcr0(void) {
    uint32_t eax, edx;
    __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((uint64_t)edx << 32) | eax;
}

int32_t ecg_cpu_features(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    const int fma = (ecx >> 12) & 1, osxsave = (ecx >> 27) & 1, avx = (ecx >> 28) & 1;
    if (!osxsave || !avx) return 0;
    const uint64_t xcr0 = read_xcr0();
    const int ymm_saved = (xcr0 & 0x6) == 0x6;    // SSE and AVX state
    const int zmm_saved = (xcr0 & 0xe6) == 0xe6;  // and opmask, ZMM_Hi256, Hi16_ZMM
    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return 0;
    const int avx2 = (ebx >> 5) & 1;
    const int avx512f = (ebx >> 16) & 1, avx512dq = (ebx >> 17) & 1;
    const int avx512bw = (ebx >> 30) & 1, avx512vl = (ebx >> 31) & 1;
    const int vnni = (ecx >> 11) & 1;
    int32_t features = 0;
    if (ymm_saved && avx2 && fma) features |= ECG_CPU_AVX2_FMA;
    if (zmm_saved && (features & ECG_CPU_AVX2_FMA) && avx512f && avx512dq && avx512bw && avx512vl) {
        features |= ECG_CPU_AVX512F;
        if (vnni) features |= ECG_CPU_AVX512_VNNI;
        unsigned int eax1, ebx1, ecx1, edx1;
        if (__get_cpuid_count(7, 1, &eax1, &ebx1, &ecx1, &edx1) && ((eax1 >> 5) & 1)) features |= ECG_CPU_AVX512_BF16;
    }
    return features;
}
#elif defined(__aarch64__) || defined(_M_ARM64)
int32_t ecg_cpu_features(void) { return ECG_CPU_NEON; }
#else
int32_t ecg_cpu_features(void) { return 0; }
#endif

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
void ecg_spin_pause(void) { _mm_pause(); }
#elif defined(__aarch64__) || defined(_M_ARM64)
void ecg_spin_pause(void) { __asm__ __volatile__("yield"); }
#else
void ecg_spin_pause(void) {}
#endif
