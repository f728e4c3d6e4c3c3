global using Tether.TestSupport;
