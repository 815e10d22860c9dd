space s { layer { maxpool(2, 2, 2) } }
