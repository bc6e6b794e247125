"""Wire models: the shapes of the client contract, shared by HTTP and Socket.IO."""
