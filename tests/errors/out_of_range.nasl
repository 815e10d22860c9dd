space s { layer { conv2d(height: [1, 9]) } }
