# alternative op sequences; later decisions depend on the branch
space s {
  layers 2 {
    either conv: {
      conv2d(height: [1, 3], filters: [8, 16])
      relu
    } or pool: {
      maxpool(size: [2, 3])
    }
    either { relu } or { tanh } or { identity }
  }
}
