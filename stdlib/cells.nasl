# cells.nasl: operations on the edges of DAG cells (ENAS micro, DARTS,
# NAS-Bench-201). Names follow the usual conventions of those benchmarks so
# that architecture strings match their tables. Each keeps the number of
# channels and the size of the map.

op none : edge "the edge is absent (a zero tensor)"
op skip_connect : edge "identity"
op nor_conv_1x1 : edge "relu, 1x1 convolution, batch norm"
op nor_conv_3x3 : edge "relu, 3x3 convolution, batch norm"
op avg_pool_3x3 : edge "3x3 average pooling, stride 1"
op max_pool_3x3 : edge "3x3 max pooling, stride 1"
op sep_conv_3x3 : edge "relu, 3x3 depthwise-separable convolution, batch norm, twice"
op sep_conv_5x5 : edge "relu, 5x5 depthwise-separable convolution, batch norm, twice"
op dil_conv_3x3 : edge "relu, 3x3 depthwise-separable convolution with dilation 2, batch norm"
op dil_conv_5x5 : edge "relu, 5x5 depthwise-separable convolution with dilation 2, batch norm"
