# fixed pooling layer between stacks and a head with a choice
space s {
  layers 2 { conv2d(filters: [8, 16]) }
  layer { maxpool(size: 2, stride: 2) }
  layers 2 { conv2d(filters: [16, 32]); inputs: anchor }
  head { global_avgpool; dropout(rate: [0.0, 0.5]); dense }
}
