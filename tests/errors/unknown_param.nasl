space s { layer { conv2d(heigth: 3) } }
