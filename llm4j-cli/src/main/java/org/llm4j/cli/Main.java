// The llm4j command line: quickstart, train, generate, serve, bench. Bad input → one clear line and exit code 2.
package org.llm4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "llm4j", mixinStandardHelpOptions = true, version = "llm4j 0.1.0",
        description = "Build, train and run language models in pure Java.",
        subcommands = {QuickstartCommand.class, TrainCommand.class, GenerateCommand.class, ChatCommand.class, ServeCommand.class, TokenizerCommand.class, DataCommand.class, ConvertCommand.class, InfoCommand.class, QuantizeCommand.class, BenchCommand.class, ClassifyCommand.class, VaeCommand.class, AotTrainCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    // The command class for a first argument that names one (annotations only, nothing built).
    private static Class<?> subcommand(String name) {
        for (Class<?> c : Main.class.getAnnotation(Command.class).subcommands()) {
            Command cmd = c.getAnnotation(Command.class);
            if (cmd != null && c != CommandLine.HelpCommand.class && cmd.name().equals(name)) return c;
        }
        return null;
    }

    /** Runs a command line and returns its exit code (0 ok, 1 failure while running, 2 bad input). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        return run(args, System.in, out, err);
    }

    /** As above, with the standard input that `chat` reads its turns from. */
    static int run(String[] args, java.io.InputStream in, PrintWriter out, PrintWriter err) {
        CommandLine.IFactory factory = new CommandLine.IFactory() {
            @Override public <K> K create(Class<K> cls) throws Exception {
                return cls == ChatCommand.class ? cls.cast(new ChatCommand(in)) : CommandLine.defaultFactory().create(cls);
            }
        };
        // `llm4j generate ...` builds the model of that one command: picocli's reflection over all
        // fifteen commands and their options took 0.3-1 s of every cold start (time to first token).
        Class<?> direct = args.length > 0 ? subcommand(args[0]) : null;
        CommandLine cl;
        if (direct != null) {
            try {
                cl = new CommandLine(factory.create(direct), factory);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            cl.setCommandName("llm4j " + args[0]);
            args = java.util.Arrays.copyOfRange(args, 1, args.length);
        } else {
            cl = new CommandLine(new Main(), factory);
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("llm4j: " + ex.getMessage());
            err.println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help' for the options.");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable t = ex;
            while ((t instanceof java.io.UncheckedIOException || t.getClass() == RuntimeException.class) && t.getCause() != null) t = t.getCause();
            boolean userError = t instanceof IllegalArgumentException || t instanceof java.io.IOException
                    || t instanceof org.llm4j.data.DatasetException || t instanceof IllegalStateException;
            err.println("llm4j: error: " + (t.getMessage() == null ? t.toString() : t.getMessage()));
            if (!userError || Boolean.getBoolean("llm4j.debug")) t.printStackTrace(err);
            return userError ? 2 : 1;
        });
        return cl.execute(args);
    }
}
