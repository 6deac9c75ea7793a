package dev.berth.cli;
public final class Packager { public static void main(String[] a) { System.out.println("java.home=" + System.getProperty("java.home") + " version=" + Runtime.version()); } }
