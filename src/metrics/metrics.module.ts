import { Module, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { MetricsController } from './metrics.controller.js';

@Module({ controllers: [MetricsController] })
export class MetricsModule implements OnModuleInit {
  onModuleInit(): void {
    // Process metrics (CPU, memory, event loop lag) beside the bus' own; once per registry.
    if (!register.getSingleMetric('process_cpu_user_seconds_total'))
      collectDefaultMetrics({ register });
  }
}
