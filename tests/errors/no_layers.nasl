space s { head { dense } }
