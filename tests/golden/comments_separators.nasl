# comments anywhere; semicolons optional
space s {   # trailing comment
  layer {
    conv2d(height: [1, 3],   # comment inside a call
           width: 3);;
    relu;
  };
}
train { epochs: 3 batch: 32 }   # no separator needed
