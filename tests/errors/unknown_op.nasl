space s { layer { conv2 } }
