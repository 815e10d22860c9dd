space s { layer { dropout(rate: 1 / 0) } }
