space s { layer { conv2d( } }
