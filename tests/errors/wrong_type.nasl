space s { layer { conv2d(filters: 1.5, bias: 1) } }
