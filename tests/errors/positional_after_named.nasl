space s { layer { conv2d(height: 3, 5) } }
