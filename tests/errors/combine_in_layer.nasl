space s { layer { add } }
