package io.wssink.cli;

import io.wssink.SinkProvider;
import io.wssink.Sinks;
import picocli.CommandLine.Command;

import java.util.TreeSet;
import java.util.concurrent.Callable;

@Command(name = "sinks", mixinStandardHelpOptions = true, description = "Lists the sink providers found, with metadata.")
final class SinksCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.printf("%-10s %-16s %-10s %s%n", "NAME", "VERSION", "SCHEMES", "DESCRIPTION");
        for (SinkProvider p : Sinks.providers()) {
            System.out.printf("%-10s %-16s %-10s %s%n", p.name(), p.version(),
                    String.join(",", new TreeSet<>(p.schemes())), p.description());
        }
        return ExitCodes.OK;
    }
}
