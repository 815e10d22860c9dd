# internal.nasl: operations the runtime inserts while it builds and trains a
# network (joining inputs, losses, the controller's arithmetic). They are
# declared so that the operation table, nasl-stdlib(7) and the compiler agree
# on one list; a space cannot use them.

op concat : internal
  "joins maps along channels; smaller maps are zero-padded (bottom, right) to the largest"
op softmax_xent : internal
  "mean over rows of -log softmax(logits)[label], with the row maximum taken out first"
op log_softmax : internal "x - log(sum(exp(x))) per row"
op log_sigmoid : internal "log(sigmoid(x)), computed without overflow"
op pick : internal "one entry per row, chosen by an index"
op embedding : internal "the rows of a table picked by integer ids"
op sub : internal "element-wise difference"
op scale : internal "multiplication by a constant"
op sum : internal "the sum of all elements"
op slice : internal "a range of columns"
op reshape : internal "the same values under another shape"
op exp : internal "e to the power x, element-wise"
op batchnorm_relu : internal
  "batchnorm then relu as one kernel: a child's layer runs them so when one follows the other"
op conv2d_cat : internal
  "conv2d of several maps joined along channels, without the joined map: a layer with several inputs runs so"
op clip_rows : internal
  "each row scaled down to a norm bound when its norm exceeds it: a language model's clip_state"
