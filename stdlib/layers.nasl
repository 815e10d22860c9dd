# layers.nasl: operations on feature maps (NCHW); usable in layer bodies.

op conv2d(height: int in 1..7 = 3 "filter height",
          width: int in 1..7 = 3 "filter width",
          filters: int in 1..4096 = 32 "output channels",
          stride: int in 1..3 = 1 "step in both directions",
          bias: bool = false "add a learned per-channel bias") : layer
  "2-D convolution with same padding: the output is ceil(H/stride) x ceil(W/stride)"

op dwconv2d(size: int in 1..7 = 3 "filter height and width",
           stride: int in 1..3 = 1 "step in both directions",
           dilation: int in 1..4 = 1 "distance between the filter's taps") : layer
  "depthwise convolution: one filter per channel, no mixing between channels, same padding, no bias"

op maxpool(size: int in 1..7 = 2 "window height and width",
           stride: int in 1..3 = 2 "step in both directions") : layer
  "maximum over each window, same padding"

op avgpool(size: int in 1..7 = 2 "window height and width",
           stride: int in 1..3 = 2 "step in both directions") : layer
  "mean over each window, same padding (padding excluded from the mean)"

op global_avgpool : layer
  "mean over all positions: C x H x W becomes C x 1 x 1"

op batchnorm(momentum: float in 0..1 = 0.1 "weight of the new batch in the running statistics",
             eps: float in 0..1 = 1e-5 "added to the variance") : layer
  "batch normalisation: batch statistics in training, running statistics in evaluation"

op dropout(rate: float in 0..0.99 = 0.5 "probability of zeroing a unit") : layer
  "zeroes units at random in training and scales the rest by 1/(1-rate); off in evaluation"

op dense(units: int in 0..65536 = 0 "outputs; 0 means the number of classes") : layer
  "fully connected layer over the flattened input"
