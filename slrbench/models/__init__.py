"""Neural network parts: backbones (S3D, VKNet, frame encoders), the head network and branches."""
