space s { layer { relu @ } }
