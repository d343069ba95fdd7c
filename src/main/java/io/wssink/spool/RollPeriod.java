package io.wssink.spool;

/**
 * How often the spool starts a new file. Retention deletes whole files, so a shorter period frees disk sooner
 * after acknowledgement; {@link #TEST_SECONDLY} exists for tests of retention.
 */
public enum RollPeriod {
    TEST_SECONDLY, FIVE_MINUTELY, HOURLY, DAILY
}
