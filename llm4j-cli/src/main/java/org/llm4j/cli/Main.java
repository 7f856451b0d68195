package org.llm4j.cli;

public final class Main {
    public static void main(String[] args) {
        System.out.println("llm4j");
    }
}
