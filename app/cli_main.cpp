#include "model/host_memory.h"

namespace tandem::app {
int runCli(int argc, char** argv);
}

int main(int argc, char** argv) {
    tandem::model::keepFreedTensorMemory(); // generate and eval run the engine in this process
    return tandem::app::runCli(argc, argv);
}
