space s {
  layer { conv2d(height: 8) }
  layer { pool }
  layer { relu(x: 1) }
}
train { epochs: -1 }
