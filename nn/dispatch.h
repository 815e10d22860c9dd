/* dispatch.h: one build for every x86-64, each hot loop in the best
 * instruction set the CPU has.
 *
 * NN_CLONES before a function definition compiles it three times, for
 * AVX-512, for AVX2 and for baseline x86-64, and lets the loader pick one
 * when the program starts (GCC's and Clang's target_clones, an ifunc). It
 * is for the element-wise kernels that the compiler vectorises (batch norm,
 * relu, the convolution's patch copies, the optimizer steps); the matrix
 * product has its own hand-written AVX-512 kernel chosen at run time
 * (nn/gemm.h). Where the build already targets the machine it runs on
 * (configure --enable-native: -march=native) or on other architectures,
 * NN_CLONES is empty. */
#ifndef NASLC_DISPATCH_H
#define NASLC_DISPATCH_H

#if defined(__SANITIZE_ADDRESS__)
#define NN_NO_CLONES 1 /* GCC's AddressSanitizer: no ifuncs under it */
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NN_NO_CLONES 1 /* Clang's (the fuzzing build) */
#endif
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(NASLC_NATIVE) && !defined(NN_NO_CLONES)
#define NN_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NN_CLONES
#endif

#endif
