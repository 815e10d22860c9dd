space s { layer { concat } }
