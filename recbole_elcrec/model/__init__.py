"""Models (ELCRec and the CL4SRec and ICLRec baselines, one per module) and their parts: encoder, losses, centres."""
