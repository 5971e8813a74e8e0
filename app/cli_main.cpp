namespace tandem::app {
int runCli(int argc, char** argv);
}

int main(int argc, char** argv) { return tandem::app::runCli(argc, argv); }
