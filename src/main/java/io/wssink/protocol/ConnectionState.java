package io.wssink.protocol;

/** Where a sink's connection to its endpoint stands. */
public enum ConnectionState { CONNECTING, CONNECTED, BACKING_OFF, DRAINING, CLOSED }
