space s {
  layer { conv2d(filters: [8, 16]) }
}
train { channels: 8; cells: 1 }
