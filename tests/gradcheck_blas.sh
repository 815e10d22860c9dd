#!/bin/sh
# gradcheck_blas.sh: the gradient checks and hand-computed forward cases of
# tests/gradcheck once more with every product on OpenBLAS (NASLC_GEMM=blas),
# so that the paths taken on a CPU without AVX-512 (the patch matrix made in
# blocks, nn/gemm.h's fallback) are checked on any machine.
NASLC_GEMM=blas
export NASLC_GEMM
exec ./tests/gradcheck
