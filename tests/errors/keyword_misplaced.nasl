space s { layer { maybe } }
