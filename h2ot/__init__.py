"""h2ot: lift 2D keypoint sequences to 3D poses with video pose transformers made cheap by the
Hierarchical Hourglass Tokenizer (prune the tokens of redundant frames in the middle blocks, recover the
full sequence at the end)."""

__version__ = "0.1.0"
