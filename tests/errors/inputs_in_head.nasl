space s { layer { relu } head { global_avgpool; inputs: anchor; dense } }
