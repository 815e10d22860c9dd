# the paper's curriculum: 2 layers at first, +2 every 100 samples, at most 5
space s {
  layers 2..5 grow 2 every 100 { conv2d(height: [1, 3]); inputs: anchor }
}
