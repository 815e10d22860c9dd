# every value fixed: no decisions, one architecture
space s {
  layers 3 { conv2d(height: 3, width: 1, filters: 16, stride: 2); batchnorm; relu }
}
