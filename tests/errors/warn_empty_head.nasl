space s { layer { relu } head { } }
