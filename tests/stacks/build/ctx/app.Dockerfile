FROM dockhand-fixture/toolbox:1 AS base
ARG GREETING=unset
RUN echo "$GREETING" > /greeting
COPY . /ctx

FROM base AS test
RUN echo test-stage > /stage

FROM base AS release
RUN echo release-stage > /stage
